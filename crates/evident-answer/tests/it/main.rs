//! Answers composed over the bundled starter library: structure, grounding, audiences,
//! follow-ups, abstention, safety, and snapshots of the renderings.

mod starter;
