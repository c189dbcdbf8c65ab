//! In-process HTTP tests: every route, logged out, logged in, and across
//! studios, one module per area of the app; `access` walks the whole route
//! table with every kind of visitor.

mod access;
mod admin;
mod assessment;
mod auth;
mod clients;
mod consent;
mod designs;
mod feed;
mod gallery;
mod head_design;
mod mail;
mod photos;
mod plans;
mod platform;
mod previsit;
mod prices;
mod report;
mod screening;
mod sessions;
mod smtp;
mod support;
