import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from analytics.models import Call, CallStatus, Session
from bots.tests.factories import BotFactory


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = Session

    bot = factory.SubFactory(BotFactory, active=True)
    user = factory.SelfAttribute("bot.user")
    session_id = factory.Sequence(lambda n: f"session_1700000000000_{n:09d}")
    start_time = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=5))
    end_time = factory.LazyAttribute(lambda session: session.start_time + datetime.timedelta(minutes=3))
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
    ip_address = factory.Faker("ipv4_public")
    interactions = 4


class CallFactory(DjangoModelFactory):
    class Meta:
        model = Call

    bot = factory.SubFactory(BotFactory, active=True)
    user = factory.SelfAttribute("bot.user")
    vapi_call_id = factory.Faker("uuid4")
    assistant_id = factory.LazyAttribute(lambda call: call.bot.vapi_assistant_id or "asst-unknown")
    status = CallStatus.ENDED
    type = "webCall"
    ended_reason = "customer-ended-call"
    cost = 0.1234
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=10))
    ended_at = factory.LazyAttribute(lambda call: call.started_at + datetime.timedelta(seconds=95))
    duration = 95
    transcript = "AI: Hello! How can I help you today?\nUser: What are your opening hours?"
    recording = factory.Sequence(lambda n: f"https://storage.vapi.example/recordings/{n}.wav")
    summary = "The caller asked for the opening hours."
    message_count = 2
