"""Interactive explorers for the notebooks (ipywidgets). Each is a thin view over a tested function,
and each notebook also calls that function directly, so it runs without a widget front end."""
