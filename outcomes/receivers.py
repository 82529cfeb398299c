"""Signal receivers: the demo clinic's outcomes, exit rules that follow a
protocol into its next version, and what a stage change must hear of them."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from outcomes import selectors
from outcomes.models import StageExitCriterion, StageProgressionRule
from plans.models import Protocol, ProtocolStage
from plans.signals import demo_clinic_seeded, stage_exit_outstanding


@receiver(post_save, sender=ProtocolStage, dispatch_uid="outcomes_copy_exit_rules")
def copy_exit_rules_to_new_version(sender, instance: ProtocolStage, created: bool, raw=False, **kw):
    """A new version's stage starts with the measured exit rules of the same stage
    in the previous version, as its prescription does (`new_protocol_version`)."""
    if raw or not created:
        return
    protocol = instance.protocol
    previous = (
        Protocol.objects.filter(
            condition_id=protocol.condition_id, name=protocol.name, version__lt=protocol.version
        )
        .order_by("-version")
        .first()
    )
    if previous is None:
        return
    source = ProtocolStage.objects.filter(protocol=previous, order=instance.order).first()
    if source is None:
        return
    rule = StageProgressionRule.objects.filter(protocol_stage=source).first()
    if rule is not None:
        StageProgressionRule.objects.get_or_create(
            protocol_stage=instance, defaults={"minimum_weeks": rule.minimum_weeks}
        )
    for criterion in StageExitCriterion.objects.filter(protocol_stage=source):
        StageExitCriterion.objects.get_or_create(
            protocol_stage=instance,
            measure=criterion.measure,
            comparison=criterion.comparison,
            defaults={"value": criterion.value},
        )


@receiver(demo_clinic_seeded, dispatch_uid="outcomes_demo_data")
def seed_demo_outcomes(sender, users, **kwargs):
    from outcomes.demo import seed_outcomes

    return seed_outcomes(users)


@receiver(stage_exit_outstanding, dispatch_uid="outcomes_exit_outstanding")
def measured_exit_criteria_outstanding(sender, plan, stage, on, **kwargs) -> list[str]:
    """The current stage's measured criteria and minimum time not yet met on `on`."""
    progress = selectors.stage_progression(plan, stage, on)
    return progress.still_to_show
