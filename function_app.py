"""Tapstart's Function App: creates the app and registers the blueprints; nothing else."""

import azure.functions as func

from functions import (
    campaign,
    doctor,
    hr_events,
    onboarding,
    registration_report,
    reminders,
    status,
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (
    campaign.bp,
    doctor.bp,
    hr_events.bp,
    onboarding.bp,
    reminders.bp,
    registration_report.bp,
    status.bp,
):
    app.register_functions(blueprint)
