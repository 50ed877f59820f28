//! The network at a glance, for the G40 programme office: the home page, the
//! "wie doet wat" cities × themes matrix the report's foreword asks for, and the page
//! about the data and its source.

pub mod pages;
