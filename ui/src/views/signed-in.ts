/**
 * The views behind sign-in. The app loads them apart from the sign-in pages (with the markdown
 * renderer and sanitiser they bring), so the first screen shows sooner.
 */
export { default as ChatView } from './ChatView.svelte';
export { default as DocumentsView } from './DocumentsView.svelte';
export { default as DocumentViewerView } from './DocumentViewerView.svelte';
export { default as HistoryView } from './HistoryView.svelte';
export { default as SettingsView } from './SettingsView.svelte';
export { default as WorkspaceSettingsView } from './WorkspaceSettingsView.svelte';
export { default as WorkspacesView } from './WorkspacesView.svelte';
