"""The medical assistant: Gemini when configured, an offline assistant otherwise (README "Chatbot")."""
