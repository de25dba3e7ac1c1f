import type { ComponentChildren } from 'preact';
import type { ApiError } from './api';

/** A form field with its label and, under it, the server's message for it. */
export function Field(p: { label: string; error?: string | undefined; children: ComponentChildren; name: string }) {
  return (
    <div class={`field${p.error ? ' has-error' : ''}`} data-field={p.name}>
      <label>{p.label}</label>
      {p.children}
      {p.error ? <div class="field-error" role="alert">{p.error}</div> : null}
    </div>
  );
}

export function ErrorBanner(p: { error: ApiError | Error | null | undefined }) {
  if (!p.error) return null;
  return <div class="banner error" role="alert">{p.error.message}</div>;
}

export function Notice(p: { children: ComponentChildren; kind?: 'ok' | 'warn' }) {
  return <div class={`banner ${p.kind ?? 'ok'}`}>{p.children}</div>;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
