"""Tapstart's Function App: creates the app and registers the blueprints; nothing else."""

import azure.functions as func

from functions import onboarding, status

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (onboarding.bp, status.bp):
    app.register_functions(blueprint)
