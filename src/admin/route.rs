//! What one row of the control API's route table ([`super::routes::ROUTES`]) is: the journal's
//! name for the call, its handler, how it takes the world gate, and its documentation. Kept
//! apart from the table so the OpenAPI builder can read rows without importing the table
//! (which names the builder's handler).

use super::{AdminError, Reply, Req};
use crate::pipeline::Gate;

pub type Handler = fn(&Req<'_>) -> Result<Reply, AdminError>;

pub struct AdminRoute {
    pub name: &'static str,
    pub handler: Handler,
    pub gate: Gate,
    /// The first path parameter is the record the call touches (a document number).
    pub record: bool,
    /// What the call does, for the OpenAPI document.
    pub summary: &'static str,
    /// An example JSON body ("" for none).
    pub example: &'static str,
}

pub const fn open(name: &'static str, handler: Handler) -> AdminRoute {
    AdminRoute {
        name,
        handler,
        gate: Gate::Open,
        record: false,
        summary: "",
        example: "",
    }
}

/// Replaces the world: waits for in-flight API requests and holds new ones back.
pub const fn exclusive(name: &'static str, handler: Handler) -> AdminRoute {
    AdminRoute {
        gate: Gate::Exclusive,
        ..open(name, handler)
    }
}

pub const fn on_record(name: &'static str, handler: Handler) -> AdminRoute {
    AdminRoute {
        record: true,
        ..open(name, handler)
    }
}

impl AdminRoute {
    /// The route's summary and example body (`""` for none).
    pub const fn doc(self, summary: &'static str, example: &'static str) -> AdminRoute {
        AdminRoute {
            summary,
            example,
            ..self
        }
    }
}
