//! 8.5.2 Record CPM Session: what is stored into the Message Store, where and when.
//! (in progress)

pub mod objects;
