"""OpenAPI: how drf-spectacular describes our authentication (imported by AccountsConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ClerkAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ClerkAuthentication"
    name = "ClerkSession"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Clerk session token (RS256). Same-site pages may send it as the __session cookie.",
        }
