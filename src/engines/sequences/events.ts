/** Events the sequences engine publishes (merged into TickworkEvents). A type alias, as mitt needs an index signature. */
export type SequenceEvents = Record<never, never>;
