"""Collection names: the stored documents' catalogue, shared by the owner and its readers.

Each collection is written by one owner module (tests/test_house.py holds the table);
readers import the name from here, so a reader never needs to import the owner.
"""

USERS = "users"
GRANTS = "grants"
CARE_UNITS = "care_units"
DEVICES = "devices"
ALERTS = "alerts"
# Chatbot and chat between people (server/chatbot/, server/chat/); prescriptions read for care relations.
PRESCRIPTIONS = "prescriptions"
CHATBOT_HISTORY = "chatbot_history"
CONVERSATIONS = "chat_conversations"
CHAT_MESSAGES = "chat_messages"
CHAT_PRESENCE = "chat_presence"
