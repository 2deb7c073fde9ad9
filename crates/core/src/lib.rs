//! Call statuses, filters and the client facade (issue 4: being built).
