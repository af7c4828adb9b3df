"""Operations: rate limits and lockouts (throttle); metrics later."""
