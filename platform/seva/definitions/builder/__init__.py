"""The admin's service builder: a department's services and their versions in the Wagtail
admin, and the drafts that change them (their editors, preview, dry run, review and
publishing). It shows and edits through `seva.definitions`' services and selectors, which
decide who may do what."""
