//! The only module that talks to AWS.
