"""The builder's pages: services and their versions, drafts, and the editors of a draft's
parts."""
