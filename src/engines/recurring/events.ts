/** Events the recurring engine publishes (merged into TickworkEvents). A type alias, as mitt needs an index signature. */
export type RecurringEvents = Record<never, never>;
