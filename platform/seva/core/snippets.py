"""The base of every Seva snippet in the Wagtail admin.

Wagtail's snippet choosers (the modals that pick a posting, an officer's contact, a centre)
answer anybody who may enter the admin, and list what they choose from: postings and officer
contacts name every officer of the state. Seva's choosers answer only people who hold a
permission (add, change, delete or view) on the model, as the snippet's own listing does;
anybody else is refused like any other admin page. Every SnippetViewSet of Seva's derives
from `SevaSnippetViewSet` (tests/core/test_snippet_choosers.py checks each one)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from wagtail.permissions import policy_registry
from wagtail.snippets.views import chooser
from wagtail.snippets.views.snippets import SnippetViewSet

CHOOSER_PERMISSIONS = ["add", "change", "delete", "view"]


class _PermissionRequired:
    """For a chooser view: the user must hold one of CHOOSER_PERMISSIONS on the model."""

    def dispatch(self, request, *args, **kwargs):
        policy = policy_registry.get_by_type(self.model_class)
        if not policy.user_has_any_permission(request.user, CHOOSER_PERMISSIONS):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ChooseView(_PermissionRequired, chooser.ChooseView):
    pass


class ChooseResultsView(_PermissionRequired, chooser.ChooseResultsView):
    pass


class ChosenView(_PermissionRequired, chooser.SnippetChosenView):
    pass


class ChosenMultipleView(_PermissionRequired, chooser.SnippetChosenMultipleView):
    pass


class CreateView(_PermissionRequired, chooser.SnippetCreateView):
    pass


class PermissionCheckedChooserViewSet(chooser.SnippetChooserViewSet):
    choose_view_class = ChooseView
    choose_results_view_class = ChooseResultsView
    chosen_view_class = ChosenView
    chosen_multiple_view_class = ChosenMultipleView
    create_view_class = CreateView


class SevaSnippetViewSet(SnippetViewSet):
    chooser_viewset_class = PermissionCheckedChooserViewSet
