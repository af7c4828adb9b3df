"""realtime/fastpath"""
