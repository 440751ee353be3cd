"""Identity-verified recovery, one module a stage: asking (a request, its proved contact address,
its evidence), review (staff compare and decide), hold (the owner may cancel; then the link is
mailed), completion (the new password), retention (evidence deleted after the decision)."""

# The browser-session key lives in the HTTP layer (helpdesk/web/recovery.py). This copy only keeps
# actions/account_checks.py importing until it stops reading the session itself: remove it then.
SESSION_KEY = "verification_request"
