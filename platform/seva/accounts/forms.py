"""The sign-in forms. The password form keeps Wagtail's field names and ids (id_username,
id_password), which password managers, lock-outs and the browser tests rely on."""

from __future__ import annotations

from django import forms


class PasswordForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember = forms.BooleanField(required=False)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="6 digits",
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "sf-code",
            }
        ),
    )
