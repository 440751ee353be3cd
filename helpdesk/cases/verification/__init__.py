"""Identity-verified recovery, one module a stage: asking (a request, its proved contact address,
its evidence), review (staff compare and decide), hold (the owner may cancel; then the link is
mailed), completion (the new password), retention (evidence deleted after the decision)."""
