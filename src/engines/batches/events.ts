/** Events the batches engine publishes (merged into TickworkEvents). A type alias, as mitt needs an index signature. */
export type BatchEvents = Record<never, never>;
