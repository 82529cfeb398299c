"""The protocol library and its authoring pages.

Physicians write protocols as drafts, publish them (then they are read-only:
plans pin the version), make new versions and retire old ones. Therapists read
the published and retired versions; front desk has no part in protocols.
"""

from dataclasses import dataclass
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import OuterRef, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plans import access, selectors, services
from plans.models import Mix, Protocol, ProtocolStage, RehabPlan
from plans.protocol_forms import ProtocolForm, stage_formset, with_one_more_stage
from rehab.forms import add_service_errors

READ_ONLY_MESSAGE = "Published versions are read-only; make a new version to change it."


@dataclass(frozen=True)
class MixRow:
    """A row of the mix table (partials/mix_table.html)."""

    label: str
    pt: int
    ot: int
    lead: str


def mix_rows(stages) -> list[MixRow]:
    return [
        MixRow(
            f"Stage {stage.order}: {stage.name}",
            mix.pt_sessions_per_week,
            mix.ot_sessions_per_week,
            mix.lead,
        )
        for stage in stages
        for mix in [stage.mix]
    ]


def mix_in_words(mixes: list[Mix]) -> str:
    """The mix over the stages, e.g. "6/2 → 5/5 → 3/5 PT/OT"."""
    if not mixes:
        return ""
    steps = " → ".join(f"{m.pt_sessions_per_week}/{m.ot_sessions_per_week}" for m in mixes)
    return f"{steps} PT/OT"


def _protocols_with_stages():
    return Protocol.objects.select_related("condition", "author").prefetch_related(
        Prefetch("stages", queryset=ProtocolStage.objects.order_by("order"))
    )


# --- Reading ---------------------------------------------------------------


@require_GET
def protocol_list(request):
    user = request.user
    access.require(access.can_view_protocols(user))
    can_author = access.can_author_protocols(user)
    protocols = _protocols_with_stages().order_by("condition__name", "name", "-version")
    if not can_author:
        # A draft is a physician's work in progress, not yet guidance.
        protocols = protocols.exclude(status=Protocol.Status.DRAFT)
    groups = [
        (condition, [(p, mix_in_words(p.mix_trajectory)) for p in members])
        for condition, members in groupby(protocols, key=lambda p: p.condition)
    ]
    return render(request, "protocols/list.html", {"groups": groups, "can_author": can_author})


def _readable_protocol(user, pk) -> Protocol:
    access.require(access.can_view_protocols(user))
    # A correlated count on the plans' protocol index: a Count over the join
    # would read every plan of the protocol to group them.
    plans = RehabPlan.objects.filter(protocol=OuterRef("pk"))
    protocol = get_object_or_404(
        _protocols_with_stages().annotate(plan_count=selectors.count_of(plans, "protocol")),
        pk=pk,
    )
    if protocol.status == Protocol.Status.DRAFT:
        access.require(access.can_author_protocols(user))
    return protocol


@require_GET
def protocol_detail(request, pk):
    protocol = _readable_protocol(request.user, pk)
    stages = list(protocol.stages.all())
    versions = Protocol.objects.filter(
        condition_id=protocol.condition_id, name=protocol.name
    ).exclude(pk=protocol.pk)
    return render(
        request,
        "protocols/detail.html",
        {
            "protocol": protocol,
            "stages": stages,
            "rows": mix_rows(stages),
            "mix_words": mix_in_words([s.mix for s in stages]),
            "other_versions": versions.order_by("-version"),
            "can_author": access.can_author_protocols(request.user),
        },
    )


# --- Writing a draft ------------------------------------------------------


def _show_service_error(form, formset, error: ValidationError) -> None:
    """Put the service's refusal next to its field: protocol fields on the
    protocol form (the version clash on the name), a stage's on the stages."""
    protocol_fields = set(form.fields) | {NON_FIELD_ERRORS, "version"}
    if hasattr(error, "error_dict") and not set(error.error_dict) <= protocol_fields:
        formset.non_form_errors().extend(error.messages)
        return
    add_service_errors(form, error, field_map={NON_FIELD_ERRORS: "name", "version": "name"})


def _authoring_page(request, protocol: Protocol):
    """Create or edit a draft: save, add a stage or preview the chart."""
    creating = protocol.pk is None
    saving = False
    if request.method == "POST":
        adding = "add_stage" in request.POST
        data = with_one_more_stage(request.POST) if adding else request.POST
        form = ProtocolForm(data, instance=protocol)
        formset = stage_formset(data)
        form_valid = form.is_valid()
        formset_valid = formset.is_valid()
        kept = formset.kept_forms()
        saving = not adding and "preview" not in request.POST
        if saving and form_valid and formset_valid:
            # A new protocol goes to the service unsaved and separate from the
            # form, so a refusal (rolled back) leaves the page in "new" state.
            draft = (
                Protocol(**{name: form.cleaned_data[name] for name in ProtocolForm.Meta.fields})
                if creating
                else form.instance
            )
            try:
                services.save_protocol_draft(
                    protocol=draft, stages=[f.dose() for f in kept], author=request.user
                )
            except ValidationError as error:
                if getattr(error, "code", None) == "protocol_not_editable":
                    messages.error(request, READ_ONLY_MESSAGE)
                    return redirect("plans:protocol_detail", pk=protocol.pk)
                _show_service_error(form, formset, error)
            else:
                count = len(kept)
                messages.success(
                    request,
                    f"Saved the draft {draft} with {count} stage{'s' if count != 1 else ''}. "
                    "Publish it when it is ready for plans.",
                )
                return redirect("plans:protocol_detail", pk=draft.pk)
        chart_stages = [f.unsaved_stage(order) for order, f in enumerate(kept, start=1)]
    else:
        form = ProtocolForm(instance=protocol)
        existing = list(protocol.stages.order_by("order")) if not creating else []
        formset = stage_formset(stages=existing)
        chart_stages = existing
    return render(
        request,
        "protocols/form.html",
        {
            "protocol": protocol,
            "creating": creating,
            "form": form,
            "formset": formset,
            "chart_stages": chart_stages,
            "rows": mix_rows(chart_stages),
            "has_errors": request.method == "POST"
            and (bool(form.errors) or formset.total_error_count() > 0),
            "saving": saving,
        },
    )


@require_http_methods(["GET", "POST"])
def protocol_create(request):
    access.require(access.can_author_protocols(request.user))
    return _authoring_page(request, Protocol())


@require_http_methods(["GET", "POST"])
def protocol_edit(request, pk):
    access.require(access.can_author_protocols(request.user))
    protocol = get_object_or_404(Protocol.objects.select_related("condition"), pk=pk)
    if not protocol.is_editable:
        messages.info(request, READ_ONLY_MESSAGE)
        return redirect("plans:protocol_detail", pk=protocol.pk)
    return _authoring_page(request, protocol)


# --- Publishing, new versions, retiring ------------------------------------


@require_POST
def protocol_publish(request, pk):
    access.require(access.can_author_protocols(request.user))
    protocol = get_object_or_404(Protocol, pk=pk)
    try:
        protocol = services.publish_protocol(protocol=protocol, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"Not published: {message}")
        return redirect("plans:protocol_detail", pk=protocol.pk)
    messages.success(request, f"{protocol} is published: plans can now follow it.")
    still_offered = Protocol.objects.filter(
        condition_id=protocol.condition_id,
        name=protocol.name,
        status=Protocol.Status.PUBLISHED,
        version__lt=protocol.version,
    ).order_by("version")
    for older in still_offered:
        messages.info(
            request,
            f"Version {older.version} is still offered to new plans; retire it if "
            "new plans should follow only the new version.",
        )
    return redirect("plans:protocol_detail", pk=protocol.pk)


@require_POST
def protocol_new_version(request, pk):
    access.require(access.can_author_protocols(request.user))
    protocol = get_object_or_404(Protocol, pk=pk)
    try:
        draft = services.new_protocol_version(protocol=protocol, author=request.user)
    except ValidationError as error:
        if error.code == "draft_exists":
            messages.info(request, error.messages[0])
            return redirect("plans:protocol_edit", pk=error.params["draft_pk"])
        messages.error(request, error.messages[0])
        return redirect("plans:protocol_detail", pk=protocol.pk)
    messages.success(
        request,
        f"Version {draft.version} is a draft copy of version {protocol.version}. "
        "Change what you need and publish it; plans on earlier versions stay as they are.",
    )
    return redirect("plans:protocol_edit", pk=draft.pk)


@require_POST
def protocol_retire(request, pk):
    access.require(access.can_author_protocols(request.user))
    protocol = get_object_or_404(Protocol, pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Confirm that this version should be retired.")
        return redirect("plans:protocol_detail", pk=protocol.pk)
    try:
        protocol = services.retire_protocol(protocol=protocol, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"Not retired: {message}")
        return redirect("plans:protocol_detail", pk=protocol.pk)
    messages.success(
        request,
        f"{protocol} is retired: new plans cannot follow it; plans already on it carry on.",
    )
    return redirect("plans:protocol_detail", pk=protocol.pk)
