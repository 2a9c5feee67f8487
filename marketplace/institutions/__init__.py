"""Protocol offices of government institutions: gift boxes, quotes, approvals, documents."""
