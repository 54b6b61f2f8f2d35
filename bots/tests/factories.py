import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from bots.models import Bot, BotStatus, Position, Theme


class BotFactory(DjangoModelFactory):
    class Meta:
        model = Bot

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Support bot {n}")
    welcome_message = "Hello! How can I help you today?"
    system_prompt = "You are a helpful assistant for Example Inc."
    language = "en"
    voice = "jennifer"
    position = Position.RIGHT
    theme = Theme.LIGHT
    embed_code = factory.LazyAttribute(
        lambda bot: (
            '<script defer src="http://localhost:8000/js/external-chatbot-voice.js" '
            f'data-chatbot-uuid="{bot.uuid}" data-language="{bot.language}" '
            f'data-position="{bot.position.lower()}" data-theme="{bot.theme.lower()}"></script>'
        )
    )
    uuid = factory.Faker("uuid4")

    class Params:
        active = factory.Trait(
            status=BotStatus.ACTIVE,
            vapi_assistant_id=factory.Faker("uuid4"),
            activated_at=factory.LazyFunction(timezone.now),
        )
