"""The web console for QA reviewers and supervisors: server-rendered pages, sign-in sessions, i18n.

Kept free of imports here: ``api.deps`` imports ``api.console.auth``, and the pages import
``api.deps``. ``api.console.mount.install(app)`` adds the console to the app."""
