"""Print a staff member's API token, making one on first use."""

from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from rehab.models import User


class Command(BaseCommand):
    help = "Print the API token of a staff member (made on first use); --reset replaces it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--reset", action="store_true", help="Replace the token, e.g. after it leaked."
        )

    def handle(self, *args, username, reset, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No staff member is called {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is not active; activate the account first.")
        if reset:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
