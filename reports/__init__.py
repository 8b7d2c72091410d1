"""Weekly email summary: figures from the published snapshot, HTML + text rendering, SMTP delivery."""
