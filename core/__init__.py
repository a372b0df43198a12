"""What every layer shares and that belongs to none of them: user-facing errors and the
parsing of environment values. Imports nothing of ours."""
