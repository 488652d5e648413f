/**
 * The shapes docent-server's OpenAPI document gives each request and answer, as generated
 * (`schema.gen.ts`, from `openapi.json`): the request bodies the UI builds are checked against
 * them at compile time, so a field renamed on the server fails `npm run check`.
 */
import type { components, operations } from './schema.gen';

/** Every schema of the document, by name (`Wire['SendMessage']`). */
export type Wire = components['schemas'];

/**
 * An operation's query parameters, each given or null (the desktop shell takes the same
 * fields as JSON, where null is "not given"), by the operation's id (`history_search`).
 */
export type QueryOf<Op extends keyof operations> = {
  [K in keyof NonNullable<operations[Op]['parameters']['query']>]-?:
    | NonNullable<operations[Op]['parameters']['query']>[K]
    | null;
};
