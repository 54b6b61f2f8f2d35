import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from accounts.models import User


class UserFactory(DjangoModelFactory):
    """A user as Clerk creates them: a ``user_…`` id and no usable password."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    id = factory.Sequence(lambda n: f"user_test{n:08d}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    image_url = factory.Sequence(lambda n: f"https://img.example.com/{n}.png")
    password = factory.LazyFunction(lambda: make_password(None))


class StaffUserFactory(UserFactory):
    """A superuser of the admin, with the password ``password``."""

    id = factory.Sequence(lambda n: f"local_test{n:08d}")
    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    is_staff = True
    is_superuser = True
    password = factory.django.Password("password")
