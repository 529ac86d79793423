//! The plain endpoints octaneWebR's client calls besides `/api/grpc` and `/api/callbacks`:
//! `GET /api/health` ([`health`]), `POST /api/log` ([`api_log`]) and `GET /api/system/info`
//! ([`system_info`]), in the shapes its Vite and Express backends answer.

pub(crate) mod api_log;
pub(crate) mod health;
pub(crate) mod system_info;
