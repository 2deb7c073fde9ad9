//! A local stand-in of the platform's agent-api (issue 3: being built).
