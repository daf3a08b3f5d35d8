"""The builder's editors as Django forms, one module for each part of a draft they edit."""
