"""First-run account setup without a user interface: finding server settings, checking them
live, and adding an account to the config file. The setup screen (tui_mail.ui.screens.setup)
drives these; nothing here imports Textual.
"""
