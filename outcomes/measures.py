"""The outcome measures the clinic records, described as data.

Each measure says what its items are and which values they allow, how the total
is computed, its score bands (in clinical words and in words for a family), the
minimal clinically important difference, its LOINC code where one exists, and
where it comes from (citation and licence). A measure is added by describing it
here: the form, the validation, the scoring, the charts and the criteria all read
these definitions. Facts come from /work/shared/clinical-reference.md.

Licensed instruments (FIM, COPM) are deliberately not shipped.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError

PT, OT = "PT", "OT"
HIGHER_IS_BETTER, LOWER_IS_BETTER = "higher", "lower"


@dataclass(frozen=True)
class Choice:
    value: int | str
    label: str


@dataclass(frozen=True)
class Item:
    """One item of a measure: a choice among allowed values, or a number in a range."""

    key: str
    label: str
    choices: tuple[Choice, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    decimals: int = 0
    unit: str = ""
    scored: bool = True  # False: recorded with the score but not part of it (the 10MWT pace)
    help_text: str = ""
    loinc: str | None = None

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)

    @property
    def allowed_values(self) -> list:
        return [choice.value for choice in self.choices]

    def label_of(self, value) -> str:
        return next((c.label for c in self.choices if c.value == value), "")

    def clean(self, raw) -> int | str | Decimal:
        """The stored value of one item, or a ValidationError naming the item."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            what = "choose a score" if self.is_choice else f"enter the {self.unit or 'value'}"
            raise ValidationError(f"{self.label}: {what}.", code="item_missing")
        if self.is_choice:
            return self._clean_choice(raw)
        return self._clean_number(raw)

    def _clean_choice(self, raw) -> int | str:
        allowed = self.allowed_values
        value = raw
        if isinstance(raw, bool):
            value = None
        elif all(isinstance(v, int) for v in allowed) and not isinstance(raw, int):
            try:
                value = int(str(raw).strip())
            except ValueError:
                value = None
        if value not in allowed:
            raise ValidationError(
                "%(item)s: %(value)s is not an allowed score; choose %(allowed)s.",
                code="item_not_allowed",
                params={"item": self.label, "value": raw, "allowed": words_or(allowed)},
            )
        return value

    def _clean_number(self, raw) -> Decimal:
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            value = None
        in_range = value is not None and value.is_finite() and self.minimum <= value <= self.maximum
        if not in_range:
            raise ValidationError(
                "%(item)s: enter a number from %(low)s to %(high)s %(unit)s.",
                code="item_out_of_range",
                params={
                    "item": self.label,
                    "low": self.minimum,
                    "high": self.maximum,
                    "unit": self.unit,
                },
            )
        if value != value.quantize(Decimal(1).scaleb(-self.decimals)):
            raise ValidationError(
                "%(item)s: give at most %(decimals)s decimal place%(s)s.",
                code="item_too_precise",
                params={
                    "item": self.label,
                    "decimals": self.decimals,
                    "s": "" if self.decimals == 1 else "s",
                },
            )
        return value


@dataclass(frozen=True)
class Band:
    """A range of totals (both ends included) with its clinical and family words."""

    low: Decimal
    high: Decimal
    label: str
    family: str  # how the family summary says it: no codes, no numbers
    concern: bool = False  # a band the team should watch (fall risk, household walker)

    def contains(self, value: Decimal) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    short_name: str
    disciplines: tuple[str, ...]
    items: tuple[Item, ...]
    total: str  # "sum", "single" (the one scored item) or "speed_10m" (10 m / seconds)
    total_min: Decimal
    total_max: Decimal
    unit: str
    decimals: int
    direction: str
    bands: tuple[Band, ...]
    mcid: Decimal | None
    mcid_note: str
    loinc: str | None
    citation: str
    licence: str
    family_topic: str = ""  # "Balance", "Daily tasks"…; empty keeps it off the family sheet
    recordable: bool = True  # False: computed from elsewhere (Goal Attainment Scaling)
    note: str = ""
    # Meaningful change where a condition has its own published figure (ICD-10 prefix).
    mcid_by_condition: dict[str, Decimal] = field(default_factory=dict)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == HIGHER_IS_BETTER

    @property
    def discipline_label(self) -> str:
        return " and ".join(self.disciplines)

    @property
    def unit_suffix(self) -> str:
        return f" {self.unit}" if self.unit else ""

    def item(self, key: str) -> Item:
        return next(item for item in self.items if item.key == key)

    def clean_items(self, raw: dict) -> dict:
        """Every item checked; all refusals at once, each keyed by its item."""
        if not isinstance(raw, dict):
            raise ValidationError("Item scores must be given item by item.", code="items_not_dict")
        known = {item.key for item in self.items}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValidationError(
                "%(measure)s has no item called %(items)s.",
                code="item_unknown",
                params={"measure": self.name, "items": ", ".join(unknown)},
            )
        cleaned, errors = {}, {}
        for item in self.items:
            try:
                cleaned[item.key] = item.clean(raw.get(item.key))
            except ValidationError as error:
                errors[item.key] = error
        if errors:
            raise ValidationError(errors)
        return cleaned

    def score(self, raw: dict) -> tuple[dict, Decimal]:
        """Validated item values (ready for JSON) and the total the system computes."""
        cleaned = self.clean_items(raw)
        scored = [cleaned[item.key] for item in self.items if item.scored]
        if self.total == "sum":
            total = Decimal(sum(scored))
        elif self.total == "single":
            total = Decimal(scored[0])
        elif self.total == "speed_10m":
            total = Decimal(10) / scored[0]
        else:  # pragma: no cover - a definition error, caught by the definitions test
            raise ValueError(f"Unknown total rule {self.total!r} for {self.key}.")
        total = quantize(total, self.decimals)
        stored = {
            key: (str(value) if isinstance(value, Decimal) else value)
            for key, value in cleaned.items()
        }
        return stored, total

    def band(self, total) -> Band | None:
        if total is None:
            return None
        value = Decimal(total)
        return next((band for band in self.bands if band.contains(value)), None)

    def mcid_for(self, condition_code: str = "") -> Decimal | None:
        for prefix, value in self.mcid_by_condition.items():
            if condition_code.startswith(prefix):
                return value
        return self.mcid

    def is_better(self, new, old) -> bool:
        return new > old if self.higher_is_better else new < old

    def format(self, value) -> str:
        if value is None:
            return "—"
        return f"{quantize(Decimal(value), self.decimals)}{self.unit_suffix}"


def quantize(value: Decimal, decimals: int) -> Decimal:
    return Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def words_or(values: Iterable) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def _choices(*pairs) -> tuple[Choice, ...]:
    return tuple(Choice(value, label) for value, label in pairs)


D = Decimal

# --- Barthel Index (OT: independence in daily activities) --------------------

BARTHEL = Measure(
    key="barthel",
    name="Barthel Index",
    short_name="Barthel",
    disciplines=(OT,),
    items=(
        Item(
            "feeding",
            "Feeding",
            _choices(
                (0, "Unable"),
                (5, "Needs help cutting, spreading butter, or a modified diet"),
                (10, "Independent"),
            ),
            loinc="83184-2",
        ),
        Item(
            "bathing",
            "Bathing",
            _choices((0, "Dependent"), (5, "Independent (or in shower)")),
            loinc="83181-8",
        ),
        Item(
            "grooming",
            "Grooming",
            _choices(
                (0, "Needs help with personal care"),
                (5, "Independent face, hair, teeth, shaving (implements provided)"),
            ),
            loinc="96767-9",
        ),
        Item(
            "dressing",
            "Dressing",
            _choices(
                (0, "Dependent"),
                (5, "Needs help but can do about half unaided"),
                (10, "Independent (including buttons, zips, laces)"),
            ),
            loinc="83182-6",
        ),
        Item(
            "bowels",
            "Bowels",
            _choices(
                (0, "Incontinent (or needs enemas)"),
                (5, "Occasional accident"),
                (10, "Continent"),
            ),
            loinc="96759-6",
        ),
        Item(
            "bladder",
            "Bladder",
            _choices(
                (0, "Incontinent, or catheterised and unable to manage alone"),
                (5, "Occasional accident"),
                (10, "Continent"),
            ),
            loinc="96760-4",
        ),
        Item(
            "toilet_use",
            "Toilet use",
            _choices(
                (0, "Dependent"),
                (5, "Needs some help, but can do something alone"),
                (10, "Independent (on and off, dressing, wiping)"),
            ),
            loinc="83183-4",
        ),
        Item(
            "transfers",
            "Transfers (bed to chair and back)",
            _choices(
                (0, "Unable, no sitting balance"),
                (5, "Major help (one or two people, physical), can sit"),
                (10, "Minor help (verbal or physical)"),
                (15, "Independent"),
            ),
            loinc="83185-9",
        ),
        Item(
            "mobility",
            "Mobility (on level surfaces)",
            _choices(
                (0, "Immobile or under 50 metres"),
                (5, "Wheelchair independent, including corners, over 50 metres"),
                (10, "Walks with help of one person (verbal or physical) over 50 metres"),
                (15, "Independent (may use any aid, e.g. a stick) over 50 metres"),
            ),
            loinc="83186-7",
        ),
        Item(
            "stairs",
            "Stairs",
            _choices(
                (0, "Unable"),
                (5, "Needs help (verbal, physical, carrying aid)"),
                (10, "Independent"),
            ),
            loinc="96758-8",
        ),
    ),
    total="sum",
    total_min=D(0),
    total_max=D(100),
    unit="",
    decimals=0,
    direction=HIGHER_IS_BETTER,
    bands=(
        Band(D(0), D(20), "Total dependency", "needs help with almost every daily task", True),
        Band(D(21), D(60), "Severe dependency", "needs a lot of help with daily tasks", True),
        Band(D(61), D(90), "Moderate dependency", "needs some help with daily tasks"),
        Band(D(91), D(99), "Slight dependency", "manages most daily tasks, with a little help"),
        Band(D(100), D(100), "Independent", "manages daily tasks independently"),
    ),
    mcid=D(9),
    mcid_note="About 9 points on the 0–100 scale in stroke (Hsieh et al. 2007).",
    loinc="96761-2",
    citation=(
        "Mahoney FI, Barthel DW. Functional evaluation: the Barthel Index. "
        "Maryland State Medical Journal 1965;14:61–65. Bands after Shah et al. 1989."
    ),
    licence=(
        "The Barthel Index is copyright of MedChi (the Maryland State Medical Society). "
        "Used with permission: it may be used freely for non-commercial purposes with the "
        "citation above; commercial use needs MedChi's permission."
    ),
    family_topic="Daily tasks",
    note="Stored on the 0–100 scale (items in steps of 5); divide by 5 for the 0–20 version.",
)

# --- Berg Balance Scale (PT: balance) ------------------------------------------

BERG_ITEMS = (
    ("sit_to_stand", "Sitting to standing"),
    ("standing_unsupported", "Standing unsupported"),
    ("sitting_unsupported", "Sitting unsupported, feet on the floor"),
    ("stand_to_sit", "Standing to sitting"),
    ("transfers", "Transfers"),
    ("eyes_closed", "Standing with eyes closed"),
    ("feet_together", "Standing with feet together"),
    ("reach_forward", "Reaching forward with outstretched arm"),
    ("pick_up_object", "Picking up an object from the floor"),
    ("look_behind", "Turning to look behind"),
    ("turn_360", "Turning 360 degrees"),
    ("alternate_foot_on_step", "Placing alternate foot on a step or stool"),
    ("tandem_stance", "Standing with one foot in front"),
    ("one_leg_stance", "Standing on one leg"),
)
BERG_CHOICES = _choices(
    (0, "0 — unable, or needs much help"),
    (1, "1"),
    (2, "2"),
    (3, "3"),
    (4, "4 — safe and independent"),
)

BERG = Measure(
    key="berg",
    name="Berg Balance Scale",
    short_name="Berg",
    disciplines=(PT,),
    items=tuple(Item(key, label, BERG_CHOICES) for key, label in BERG_ITEMS),
    total="sum",
    total_min=D(0),
    total_max=D(56),
    unit="",
    decimals=0,
    direction=HIGHER_IS_BETTER,
    bands=(
        Band(
            D(0),
            D(20),
            "Wheelchair level; increased fall risk",
            "balance is still a fall risk: needs a wheelchair or close help",
            True,
        ),
        Band(
            D(21),
            D(40),
            "Walks with assistance; increased fall risk",
            "balance is improving but still a fall risk: walks with help",
            True,
        ),
        Band(
            D(41),
            D(44),
            "Independent; increased fall risk",
            "walks without help, but balance is still a fall risk",
            True,
        ),
        Band(D(45), D(56), "Independent", "balance is good enough for everyday walking"),
    ),
    mcid=D("6.5"),
    mcid_note=(
        "MCID 6.5–12.5 points in acute stroke (the lower figure is drawn); "
        "smallest detectable change 2.7 points in chronic stroke."
    ),
    loinc=None,
    citation=(
        "Berg K, Wood-Dauphinee S, Williams JI, Maki B. Measuring balance in the elderly: "
        "preliminary development of an instrument. Physiotherapy Canada 1989;41:304–311."
    ),
    licence="Public domain.",
    family_topic="Balance",
)

# --- Timed Up and Go (PT: mobility and fall risk) ---------------------------

TUG = Measure(
    key="tug",
    name="Timed Up and Go",
    short_name="TUG",
    disciplines=(PT,),
    items=(
        Item(
            "seconds",
            "Time to rise, walk 3 metres, turn, walk back and sit",
            minimum=D("1.0"),
            maximum=D("300.0"),
            decimals=1,
            unit="seconds",
            help_text="Usual footwear and walking aid; timed with a stopwatch.",
        ),
    ),
    total="single",
    total_min=D("1.0"),
    total_max=D("300.0"),
    unit="s",
    decimals=1,
    direction=LOWER_IS_BETTER,
    bands=(
        Band(
            D("0"),
            D("13.4"),
            "Below the fall-risk cut-off",
            "gets up and walks a short distance at a safe speed",
        ),
        Band(
            D("13.5"),
            D("300"),
            "Higher fall risk (13.5 s or more)",
            "is still slow getting up and walking, which is a fall risk",
            True,
        ),
    ),
    mcid=D("3.2"),
    mcid_note="Smallest detectable change 3.2 s in chronic stroke; 1.1 s in knee osteoarthritis.",
    mcid_by_condition={"M17": D("1.1")},
    loinc=None,
    citation=(
        "Podsiadlo D, Richardson S. The timed 'Up & Go': a test of basic functional mobility "
        "for frail elderly persons. J Am Geriatr Soc 1991;39:142–148. Cut-off 13.5 s: "
        "Shumway-Cook et al. 2000 (community-dwelling older adults)."
    ),
    licence="Free to use.",
    family_topic="Getting up and walking",
)

# --- 10-Metre Walk Test (PT: gait speed) -------------------------------------

TEN_METRE_WALK = Measure(
    key="ten_metre_walk",
    name="10-Metre Walk Test",
    short_name="10MWT",
    disciplines=(PT,),
    items=(
        Item(
            "pace",
            "Pace",
            _choices(("comfortable", "Comfortable pace"), ("fast", "Fast pace")),
            scored=False,
        ),
        Item(
            "seconds",
            "Time to walk the middle 10 metres",
            minimum=D("2.00"),
            maximum=D("300.00"),
            decimals=2,
            unit="seconds",
            help_text="The system works out the gait speed (10 metres ÷ time).",
        ),
    ),
    total="speed_10m",
    total_min=D("0.03"),
    total_max=D("5.00"),
    unit="m/s",
    decimals=2,
    direction=HIGHER_IS_BETTER,
    bands=(
        Band(D("0"), D("0.39"), "Household walker", "walks around the house", True),
        Band(
            D("0.40"),
            D("0.80"),
            "Limited community walker",
            "walks short distances outside the house",
        ),
        Band(D("0.81"), D("5"), "Community walker", "walks in the neighbourhood and the market"),
    ),
    mcid=D("0.16"),
    mcid_note="MCID 0.16 m/s in subacute stroke (Tilson et al. 2010).",
    loinc=None,
    citation=(
        "Perry J, Garrett M, Gronley JK, Mulroy SJ. Classification of walking handicap in the "
        "stroke population. Stroke 1995;26:982–989 (speed bands)."
    ),
    licence="Free to use.",
    family_topic="Walking",
)

# --- Numeric Pain Rating Scale ------------------------------------------------

NPRS = Measure(
    key="nprs",
    name="Numeric Pain Rating Scale",
    short_name="Pain (NPRS)",
    disciplines=(PT, OT),
    items=(
        Item(
            "pain",
            "Pain now (0 no pain, 10 worst imaginable)",
            _choices(*((n, str(n)) for n in range(11))),
        ),
    ),
    total="single",
    total_min=D(0),
    total_max=D(10),
    unit="",
    decimals=0,
    direction=LOWER_IS_BETTER,
    bands=(),
    mcid=D(2),
    mcid_note="2 points or 30% (Farrar et al. 2001, chronic pain).",
    loinc="72514-3",
    citation=(
        "Farrar JT et al. Clinical importance of changes in chronic pain intensity measured "
        "on an 11-point numerical pain rating scale. Pain 2001;94:149–158."
    ),
    licence="Free to use.",
    family_topic="Pain",
)

# --- Modified Rankin Scale (stroke) -------------------------------------------

RANKIN_GRADES = (
    (0, "No symptoms"),
    (1, "No significant disability: carries out all usual activities despite some symptoms"),
    (2, "Slight disability: looks after own affairs without help, but not all activities"),
    (3, "Moderate disability: needs some help, but walks without help"),
    (4, "Moderately severe disability: cannot walk or manage bodily needs without help"),
    (5, "Severe disability: bedridden, needs constant nursing care"),
    (6, "Dead"),
)

MODIFIED_RANKIN = Measure(
    key="modified_rankin",
    name="Modified Rankin Scale",
    short_name="mRS",
    disciplines=(PT, OT),
    items=(Item("grade", "Grade", _choices(*RANKIN_GRADES)),),
    total="single",
    total_min=D(0),
    total_max=D(6),
    unit="",
    decimals=0,
    direction=LOWER_IS_BETTER,
    bands=(
        Band(D(0), D(2), "Good outcome (0–2)", ""),
        Band(D(3), D(6), "Dependent (3–6)", "", True),
    ),
    mcid=D(1),
    mcid_note="One grade.",
    loinc="75859-9",
    citation=(
        "van Swieten JC et al. Interobserver agreement for the assessment of handicap in "
        "stroke patients. Stroke 1988;19:604–607."
    ),
    licence="Free to use (van Swieten version).",
    note="For stroke; 0–2 is conventionally a good outcome at 90 days.",
)

# --- Goal Attainment Scaling ---------------------------------------------------

GAS_RHO = 0.3
GAS_SCORES = _choices(
    (-2, "−2 much worse than expected"),
    (-1, "−1 somewhat worse than expected"),
    (0, "0 as expected"),
    (1, "+1 somewhat better than expected"),
    (2, "+2 much better than expected"),
)

GOAL_ATTAINMENT = Measure(
    key="gas",
    name="Goal Attainment Scaling",
    short_name="GAS T-score",
    disciplines=(PT, OT),
    items=(Item("score", "Goal score at review", GAS_SCORES),),
    total="single",
    total_min=D(0),
    total_max=D(100),
    unit="",
    decimals=1,
    direction=HIGHER_IS_BETTER,
    bands=(
        Band(D(0), D("49.9"), "Goals not yet met on average", "", True),
        Band(D(50), D(100), "Goals met on average (T 50 or more)", ""),
    ),
    mcid=None,
    mcid_note="",
    loinc=None,
    citation=(
        "Kiresuk TJ, Sherman RE. Goal attainment scaling: a general method for evaluating "
        "comprehensive community mental health programs. Community Mental Health Journal "
        "1968;4:443–453. T = 50 + 10·Σwx / √((1−ρ)Σw² + ρ(Σw)²), ρ = 0.3."
    ),
    licence="Free to use.",
    recordable=False,
    note="Computed from the plan's goals scored −2 to +2 at review; not recorded as a form.",
)


def gas_t_score(scores: Iterable[tuple[int, int]], rho: float = GAS_RHO) -> Decimal | None:
    """The Kiresuk–Sherman T-score of goals given as (score −2…+2, weight)."""
    pairs = [(int(score), int(weight)) for score, weight in scores]
    if not pairs:
        return None
    weighted = sum(weight * score for score, weight in pairs)
    sum_weights = sum(weight for _, weight in pairs)
    sum_squares = sum(weight * weight for _, weight in pairs)
    denominator = math.sqrt((1 - rho) * sum_squares + rho * sum_weights**2)
    return quantize(Decimal(50 + 10 * weighted / denominator), 1)


MEASURES: dict[str, Measure] = {
    measure.key: measure
    for measure in (BARTHEL, BERG, TUG, TEN_METRE_WALK, NPRS, MODIFIED_RANKIN, GOAL_ATTAINMENT)
}
MEASURE_CHOICES = [(measure.key, measure.name) for measure in MEASURES.values()]


def get(key: str) -> Measure | None:
    return MEASURES.get(key)
