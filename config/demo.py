"""The demo data set of the quick start (``manage.py seed_demo``, ``bash scripts/run --demo``).

One user to sign in as, bots in every status, a processed knowledge base, 90 days of calls and widget sessions
from visitors in several time zones. Everything it makes is recognisable, so a second run replaces it and
``--reset`` removes it without touching anyone else's rows:

- the user has a fixed id (``DEMO_USER_ID``) and email;
- every bot it makes has an id starting with ``DEMO_PREFIX`` (and a uuid derived from it); documents, chunks,
  calls and sessions hang off those bots (ON DELETE CASCADE), and their own ids carry the prefix too.

Bots created by hand while signed in as the demo user are not the seed's: a new run and ``--reset`` leave them.

Values come from ``random.Random(SEED)``: every run makes the same rows; only the timestamps move with the clock
(the calls end "now", so the last 7 and 30 days are never empty). No network: the bots' VAPI assistant ids are
made up (``asst_demo_…``) and never sent to VAPI, which is why the seed's rows are deleted here directly rather than
through ``bots.services.bot_delete`` (that would queue the deletion of assistants that never existed).
"""

from __future__ import annotations

import datetime
import random
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.models import Call, CallStatus, Session
from bots.models import Bot, BotStatus, Position, RagSourceType, Theme
from bots.services import bot_create
from documents.models import Document, DocumentStatus
from documents.services import bot_storage_path, document_index_text, stored_files_delete_on_commit

SEED = 15
DAYS = 90
DEMO_PREFIX = "demo_"
DEMO_USER_ID = "user_demo_quickstart"
DEMO_EMAIL = "demo@example.com"
# A local demo account on a development machine: the password is printed and documented on purpose.
DEMO_PASSWORD = "voicebot-demo-2026"  # noqa: S105
_UUID_NAMESPACE = uuid.UUID("6f3c1d0e-15de-4a5e-9b1a-0c15de5eed15")
RECORDINGS = "https://storage.vapi.ai/demo-recordings"


def demo_bot_uuid(key: str) -> str:
    return str(uuid.uuid5(_UUID_NAMESPACE, key))


@dataclass(frozen=True)
class BotSpec:
    key: str
    name: str
    status: str
    language: str
    voice: str
    welcome: str
    prompt: str
    position: str = Position.RIGHT
    theme: str = Theme.LIGHT
    calls_per_day: float = 0.0
    documents: tuple[tuple[str, str], ...] = ()
    error: str | None = None


_ACME_RETURNS = """Returns and refunds

You can return any item within 30 days of delivery for a full refund. Items must be unused and in their original
packaging. Start a return from your account page under Orders, or call us and we will email a prepaid label.

Refunds are issued to the original payment method within 5 business days after the warehouse receives the item.
Gift cards and final-sale items cannot be refunded. Exchanges for a different size are free of charge."""

_ACME_SHIPPING = """Shipping and delivery

Standard shipping takes 3 to 5 business days and is free on orders over 50 dollars. Express shipping takes 1 to 2
business days and costs 12 dollars. We ship to the United States, Canada and the European Union.

Every order gets a tracking number by email as soon as it leaves the warehouse. If a parcel is lost or arrives
damaged, contact support within 14 days and we send a replacement at no cost."""

_ACME_HOURS = """# Opening hours and contact

The support line is open Monday to Friday from 8 am to 8 pm Eastern time, and Saturday from 10 am to 4 pm.
The voice assistant answers around the clock and hands over to a person during opening hours.

Our store at 120 Market Street is open every day from 9 am to 9 pm. Parking is free for two hours."""

_ACME_WARRANTY = """Warranty

Every appliance comes with a two-year warranty covering manufacturing defects. The warranty does not cover wear,
accidental damage or repairs by third parties. To make a claim, keep your receipt and the serial number printed
under the device. Extended warranty plans of three and five years can be bought within 60 days of purchase."""

_CLINIC_FAQ = """Preguntas frecuentes de la clínica

Las citas se pueden pedir por teléfono o en la web. Abrimos de lunes a viernes de 8:00 a 20:00 y los sábados
de 9:00 a 14:00. Para cancelar una cita, avise con 24 horas de antelación.

Aceptamos los principales seguros médicos. Traiga su tarjeta sanitaria y un documento de identidad."""

BOTS = (
    BotSpec(
        key="acme-support",
        name="Acme Store support",
        status=BotStatus.ACTIVE,
        language="en",
        voice="jennifer",
        welcome="Hi, this is Acme's assistant. How can I help with your order today?",
        prompt="You are the support assistant of Acme Store. Answer from the knowledge base; be brief and friendly.",
        calls_per_day=4.5,
        documents=(
            ("returns-and-refunds.txt", _ACME_RETURNS),
            ("shipping.txt", _ACME_SHIPPING),
            ("opening-hours.md", _ACME_HOURS),
            ("warranty.txt", _ACME_WARRANTY),
        ),
    ),
    BotSpec(
        key="clinic-reception",
        name="Clínica Sol reception",
        status=BotStatus.ACTIVE,
        language="es",
        voice="paula",
        welcome="Hola, soy la recepción virtual de Clínica Sol. ¿En qué puedo ayudarle?",
        prompt="Eres la recepcionista de Clínica Sol. Ayuda a pedir, cambiar y cancelar citas.",
        position=Position.LEFT,
        theme=Theme.DARK,
        calls_per_day=2.0,
        documents=(("preguntas-frecuentes.txt", _CLINIC_FAQ),),
    ),
    BotSpec(
        key="hotel-concierge",
        name="Harbour Hotel concierge",
        status=BotStatus.ACTIVE,
        language="en",
        voice="ryan",
        welcome="Welcome to the Harbour Hotel. Would you like to book a room or ask about your stay?",
        prompt="You are the concierge of the Harbour Hotel. Help guests with bookings, check-in and local tips.",
        calls_per_day=1.5,
    ),
    BotSpec(
        key="bakery-orders",
        name="Bäckerei Sonne orders",
        status=BotStatus.PENDING,
        language="de",
        voice="sarah",
        welcome="Guten Tag! Möchten Sie eine Bestellung aufgeben?",
        prompt="Du nimmst Bestellungen für die Bäckerei Sonne entgegen.",
    ),
    BotSpec(
        key="gym-frontdesk",
        name="FitHub front desk",
        status=BotStatus.ACTIVATING,
        language="en",
        voice="mark",
        welcome="Hey! Want to book a class or ask about memberships?",
        prompt="You are FitHub's front desk. Book classes and explain membership plans.",
        theme=Theme.DARK,
    ),
    BotSpec(
        key="legal-intake",
        name="Law office intake",
        status=BotStatus.FAILED,
        language="en",
        voice="jennifer",
        welcome="Thank you for calling. May I ask what your matter is about?",
        prompt="You take first details of new clients for a law office. Never give legal advice.",
        error="VAPI refused the assistant (400): voice 'jennifer' is not available for the selected provider plan",
    ),
)

# Conversations: (summary, structured data, [(speaker, text), …]); the visitor's lines are "user".
_CONVERSATIONS = {
    "en": [
        (
            "The caller asked how to return a jacket; the assistant explained the 30-day return policy.",
            {"topic": "returns", "resolved": True},
            [
                ("bot", "Hi, this is Acme's assistant. How can I help with your order today?"),
                ("user", "I bought a jacket last week and it doesn't fit. Can I send it back?"),
                ("bot", "Yes. You can return any unused item within 30 days of delivery for a full refund."),
                ("user", "Great, how do I get a label?"),
                ("bot", "Start the return under Orders in your account and we email you a prepaid label."),
                ("user", "Perfect, thanks."),
            ],
        ),
        (
            "The caller wanted to know when an order ships; the assistant gave delivery times and tracking.",
            {"topic": "shipping", "resolved": True},
            [
                ("bot", "Hi, how can I help you today?"),
                ("user", "When will my order arrive? I chose standard shipping."),
                ("bot", "Standard shipping takes 3 to 5 business days. You get a tracking number by email."),
                ("user", "Okay, I'll watch for the email."),
            ],
        ),
        (
            "The caller asked for opening hours and parking at the store.",
            {"topic": "opening hours", "resolved": True},
            [
                ("bot", "Hello! What can I do for you?"),
                ("user", "Are you open on Sunday?"),
                ("bot", "Our store on Market Street is open every day from 9 am to 9 pm."),
                ("user", "And is there parking?"),
                ("bot", "Yes, parking is free for two hours."),
            ],
        ),
        (
            "The caller asked about the warranty of a broken kettle and was told how to make a claim.",
            {"topic": "warranty", "resolved": True},
            [
                ("bot", "Hi, how can I help?"),
                ("user", "My kettle stopped working after a year."),
                (
                    "bot",
                    "Appliances have a two-year warranty. Keep your receipt and the serial number under the device.",
                ),
                ("user", "Okay. Where do I send it?"),
                ("bot", "I can open a claim now, or a colleague calls you back during opening hours."),
                ("user", "Please have someone call me."),
            ],
        ),
        (
            "The caller wanted a room for two nights; the assistant checked availability and took the request.",
            {"topic": "booking", "resolved": True, "nights": 2},
            [
                ("bot", "Welcome to the Harbour Hotel. Would you like to book a room?"),
                ("user", "Yes, a double room from Friday for two nights."),
                ("bot", "We have a harbour-view double for those dates. Shall I reserve it?"),
                ("user", "Yes please."),
            ],
        ),
        (
            "The caller did not say what they needed and the call ended.",
            {"topic": "unknown", "resolved": False},
            [
                ("bot", "Hello! How can I help you today?"),
                ("user", "Uh, hello?"),
                ("bot", "Hi! I can help with orders, returns and opening hours."),
            ],
        ),
    ],
    "es": [
        (
            "La paciente pidió una cita para el martes por la mañana y se le asignó a las 10:00.",
            {"topic": "cita", "resolved": True},
            [
                ("bot", "Hola, soy la recepción virtual de Clínica Sol. ¿En qué puedo ayudarle?"),
                ("user", "Quería pedir cita con el dentista para el martes."),
                ("bot", "Tenemos hueco el martes a las 10:00. ¿Le viene bien?"),
                ("user", "Sí, perfecto."),
            ],
        ),
        (
            "El paciente canceló su cita del jueves.",
            {"topic": "cancelación", "resolved": True},
            [
                ("bot", "Hola, ¿en qué puedo ayudarle?"),
                ("user", "Tengo que cancelar mi cita del jueves."),
                ("bot", "Hecho. Su cita del jueves queda cancelada. ¿Quiere pedir otra?"),
                ("user", "No, gracias."),
            ],
        ),
        (
            "La persona preguntó qué seguros médicos acepta la clínica.",
            {"topic": "seguros", "resolved": True},
            [
                ("bot", "Hola, ¿en qué puedo ayudarle?"),
                ("user", "¿Aceptan mi seguro médico?"),
                ("bot", "Aceptamos los principales seguros. Traiga su tarjeta sanitaria y su documento de identidad."),
            ],
        ),
    ],
}

# VAPI's ended reasons, weighted: mostly conversations that ended normally, some silences, a few failures.
_ENDED_REASONS = (
    ("customer-ended-call", 55),
    ("assistant-ended-call", 20),
    ("silence-timed-out", 10),
    ("exceeded-max-duration", 2),
    ("customer-did-not-answer", 3),
    ("pipeline-error-openai-llm-failed", 4),
    ("assistant-request-returned-error", 2),
    ("worker-shutdown", 1),
)

# Where the widget's visitors are: (country, time zone, weight). Sessions start in their local daytime.
_VISITORS = (
    ("US", "America/New_York", 30),
    ("US", "America/Los_Angeles", 15),
    ("ES", "Europe/Madrid", 15),
    ("DE", "Europe/Berlin", 10),
    ("GB", "Europe/London", 10),
    ("MX", "America/Mexico_City", 8),
    ("JP", "Asia/Tokyo", 5),
    ("AU", "Australia/Sydney", 4),
    ("IN", "Asia/Kolkata", 3),
)

_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
_USER_AGENTS = (
    (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", 35),
    (f"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) {_SAFARI} Version/18.1 Safari/605.1.15", 15),
    (f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) {_SAFARI} Version/18.1 Mobile/15E148 Safari/604.1", 20),
    (f"Mozilla/5.0 (Linux; Android 15; Pixel 9) {_WEBKIT} Chrome/131.0.0.0 Mobile Safari/537.36", 15),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 8),
    (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 7),
)


def _pick(rng: random.Random, weighted):
    return rng.choices([item[:-1] if len(item) > 2 else item[0] for item in weighted], [w[-1] for w in weighted])[0]


class DemoEmailTaken(Exception):
    pass


@dataclass
class SeedResult:
    user: User
    bots: int
    documents: int
    calls: int
    sessions: int


def demo_rows(user: User | None = None):
    """The seed's bots (their documents, chunks, calls and sessions go with them)."""
    bots = Bot.objects.filter(id__startswith=DEMO_PREFIX)
    return bots.filter(user=user) if user is not None else bots.filter(user_id=DEMO_USER_ID)


@transaction.atomic
def demo_reset() -> bool:
    """Delete what the seed made: its bots with everything under them, their stored originals (after commit),
    and the demo user unless they own something the seed did not make. True when there was anything to delete."""
    user = User.objects.filter(pk=DEMO_USER_ID).first()
    if user is None:
        return False
    for bot in demo_rows(user):
        stored_files_delete_on_commit(bot=bot)
    demo_rows(user).delete()
    if not user.bots.exists():
        user.delete()
    return True


@transaction.atomic
def demo_seed(*, now: datetime.datetime | None = None, base_url: str = "http://127.0.0.1:8000") -> SeedResult:
    """Make (or make again) the demo data set. A run replaces the seed's previous rows, so counts never grow."""
    now = now or timezone.now()
    if User.objects.filter(email=DEMO_EMAIL).exclude(pk=DEMO_USER_ID).exists():
        raise DemoEmailTaken(f"{DEMO_EMAIL} is another user's address: the demo data set leaves that account alone.")
    rng = random.Random(SEED)  # noqa: S311 -- demo data, not secrets: the same rows on every run
    user, _ = User.objects.update_or_create(
        pk=DEMO_USER_ID, defaults={"email": DEMO_EMAIL, "first_name": "Demo", "last_name": "User"}
    )
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    # The previous run's originals are overwritten in place below (same names): nothing to delete after commit.
    demo_rows(user).delete()

    created = now - datetime.timedelta(days=DAYS + 5)
    bots: list[tuple[Bot, BotSpec]] = []
    for index, spec in enumerate(BOTS):
        bots.append((_make_bot(user, spec, index=index, created=created, now=now, base_url=base_url), spec))
    documents = sum(_make_documents(bot, spec) for bot, spec in bots)
    calls = _make_calls(rng, user, bots, now=now)
    sessions = _make_sessions(rng, user, bots, now=now)
    return SeedResult(user=user, bots=len(bots), documents=documents, calls=calls, sessions=sessions)


def _make_bot(user: User, spec: BotSpec, *, index: int, created, now, base_url: str) -> Bot:
    data = {
        "id": f"{DEMO_PREFIX}bot_{spec.key}",
        "uuid": demo_bot_uuid(spec.key),
        "name": spec.name,
        "welcome_message": spec.welcome,
        "system_prompt": spec.prompt,
        "language": spec.language,
        "voice": spec.voice,
        "position": spec.position,
        "theme": spec.theme,
        "rag_enabled": bool(spec.documents),
        "rag_source_type": RagSourceType.FILES if spec.documents else None,
        # In the future, so creating the bot queues no activation (no VAPI here); the lifecycle's outcome is set
        # below, as activation would have left it.
        "activation_scheduled_at": now + datetime.timedelta(days=30),
    }
    bot = bot_create(owner=user, data=data, base_url=base_url)
    made = (
        created + datetime.timedelta(days=index)
        if spec.status == BotStatus.ACTIVE
        else now - datetime.timedelta(hours=2 + index)
    )
    lifecycle: dict = {"status": spec.status, "created_at": made}
    if spec.status == BotStatus.ACTIVE:
        lifecycle |= {
            "activation_scheduled_at": made,
            "activation_started_at": made,
            "activated_at": made + datetime.timedelta(seconds=4),
            "activation_attempts": 1,
            "vapi_assistant_id": f"asst_demo_{spec.key}",
        }
    elif spec.status == BotStatus.ACTIVATING:
        lifecycle |= {"activation_scheduled_at": now, "activation_started_at": now, "activation_attempts": 1}
    elif spec.status == BotStatus.FAILED:
        lifecycle |= {
            "activation_scheduled_at": made,
            "activation_started_at": made,
            "activation_attempts": 5,
            "activation_error": spec.error,
        }
    Bot.objects.filter(pk=bot.pk).update(**lifecycle)
    bot.refresh_from_db()
    return bot


def _make_documents(bot: Bot, spec: BotSpec) -> int:
    """Each text stored as an original (downloadable) and indexed by documents' own service: READY, with chunks
    and (on PostgreSQL) full-text vectors, so the retrieval tester finds them."""
    for number, (name, text) in enumerate(spec.documents):
        body = text.encode()
        path = f"{bot_storage_path(bot)}/{name}"
        if default_storage.exists(path):  # left by a run whose rows were rolled back
            default_storage.delete(path)
        path = default_storage.save(path, ContentFile(body))
        document = Document.objects.create(
            id=f"{DEMO_PREFIX}doc_{spec.key}_{number}",
            bot=bot,
            name=path.rsplit("/", 1)[-1],
            type="text/markdown" if name.endswith(".md") else "text/plain",
            size=len(body),
            file_path=path,
            status=DocumentStatus.PROCESSING,
        )
        document_index_text(document=document, text=text, pages=1)
    return len(spec.documents)


def _conversation(rng: random.Random, language: str, started: datetime.datetime):
    summary, structured, lines = rng.choice(_CONVERSATIONS.get(language, _CONVERSATIONS["en"]))
    messages, offset = [], 0.6
    for role, text in lines:
        seconds = round(1.2 + len(text) / 14 + rng.random(), 2)
        start_ms = int((started.timestamp() + offset) * 1000)
        messages.append(
            {
                "role": role,
                "message": text,
                "time": start_ms,
                "endTime": start_ms + int(seconds * 1000),
                "secondsFromStart": round(offset, 2),
                "duration": int(seconds * 1000),
            }
        )
        offset += seconds + 0.4 + rng.random() * 1.5
    transcript = "\n".join(f"{'User' if role == 'user' else 'AI'}: {text}" for role, text in lines)
    return summary, structured, messages, transcript, offset


def _make_calls(rng: random.Random, user: User, bots, *, now: datetime.datetime) -> int:
    rows: list[Call] = []
    for bot, spec in bots:
        if spec.status != BotStatus.ACTIVE:
            continue
        tz = ZoneInfo("Europe/Madrid" if spec.language == "es" else "America/New_York")
        for day in range(DAYS, -1, -1):
            # Busier on weekdays and growing over the quarter.
            date = (now - datetime.timedelta(days=day)).astimezone(tz).date()
            rate = spec.calls_per_day * (0.6 + 0.8 * (DAYS - day) / DAYS) * (1.0 if date.weekday() < 5 else 0.55)
            for _ in range(_poisson(rng, rate)):
                local = datetime.datetime.combine(date, datetime.time(rng.randint(8, 20), rng.randint(0, 59)), tz)
                started = local.astimezone(datetime.UTC) + datetime.timedelta(seconds=rng.randint(0, 59))
                if started > now - datetime.timedelta(minutes=5):
                    continue
                rows.append(_call(rng, user, bot, spec, started, number=len(rows)))
    Call.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _call(rng: random.Random, user: User, bot: Bot, spec: BotSpec, started, *, number: int) -> Call:
    reason = _pick(rng, _ENDED_REASONS)
    summary, structured, messages, transcript, spoken = _conversation(rng, spec.language, started)
    if reason in ("silence-timed-out", "customer-did-not-answer"):
        messages, transcript = messages[:1], transcript.splitlines()[0]
        duration = int(spoken / 2) + 30
    elif reason == "exceeded-max-duration":
        duration = 600
    else:
        duration = int(spoken + rng.uniform(5, 240))
    failed = "error" in reason or "failed" in reason or reason == "worker-shutdown"
    call_id = f"{DEMO_PREFIX}call_{number:05d}"
    analysis = {
        "summary": summary,
        "structuredData": structured,
        "successEvaluation": "false" if failed or not structured.get("resolved") else "true",
    }
    return Call(
        id=call_id,
        vapi_call_id=str(uuid.uuid5(_UUID_NAMESPACE, call_id)),
        assistant_id=bot.vapi_assistant_id,
        user=user,
        bot=bot,
        status=CallStatus.ENDED,
        ended_reason=reason,
        type="webCall",
        # VAPI's web calls: about 5-15 cents a minute (transport, speech, model, voice).
        cost=round(duration / 60 * rng.uniform(0.05, 0.15), 4),
        duration=duration,
        transcript=transcript,
        recording=f"{RECORDINGS}/{call_id}.wav",
        summary=summary,
        message_count=len(messages),
        messages=messages,
        analysis=analysis,
        created_at=started,
        started_at=started,
        ended_at=started + datetime.timedelta(seconds=duration),
    )


def _make_sessions(rng: random.Random, user: User, bots, *, now: datetime.datetime) -> int:
    active = [bot for bot, spec in bots if spec.status == BotStatus.ACTIVE]
    weights = [spec.calls_per_day for _, spec in bots if spec.status == BotStatus.ACTIVE]
    rows: list[Session] = []
    for day in range(DAYS, -1, -1):
        for _ in range(_poisson(rng, 6 + 6 * (DAYS - day) / DAYS)):
            country, zone = _pick(rng, _VISITORS)
            local_day = (now - datetime.timedelta(days=day)).astimezone(ZoneInfo(zone)).date()
            local = datetime.datetime.combine(
                local_day, datetime.time(rng.randint(7, 22), rng.randint(0, 59), rng.randint(0, 59)), ZoneInfo(zone)
            )
            start = local.astimezone(datetime.UTC)
            if start > now:
                continue
            # A few visitors are still on the page (no end yet); most stayed one to ten minutes.
            recent = now - start < datetime.timedelta(minutes=30)
            end = None if recent else start + datetime.timedelta(seconds=rng.randint(40, 600))
            number = len(rows)
            rows.append(
                Session(
                    id=f"{DEMO_PREFIX}session_{number:05d}",
                    session_id=f"{DEMO_PREFIX}session_{int(start.timestamp() * 1000)}_{number:05d}",
                    user=user,
                    bot=rng.choices(active, weights)[0],
                    start_time=start,
                    end_time=end,
                    user_agent=_pick(rng, _USER_AGENTS),
                    # Documentation addresses (RFC 5737): nobody's real address.
                    ip_address=f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}",
                    interactions=rng.choice((0, 1, 1, 2, 3, 3, 4, 5, 6, 8)),
                    country=country,
                )
            )
    Session.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
