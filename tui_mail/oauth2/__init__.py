"""Signing in with OAuth2: the providers, the two ways to sign in, and the tokens they give.

This layer talks HTTP to identity providers and keeps refresh tokens in the keyring. It knows
neither Textual nor the cache: the CLI and the setup screen drive a sign-in through the small
`SignInPrompt` protocol, and the protocol adapters receive only an access token.
"""
