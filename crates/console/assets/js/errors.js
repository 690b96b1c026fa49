// Errors of the console's API, and the words a member reads for any error.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export function messageOf(err) {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return `The console cannot be reached (${err.message}).`;
  if (err && err.message) return err.message;
  return String(err);
}

export function apiErrorFrom(status, statusText, text) {
  let message = '';
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === 'string') message = body.error;
  } catch (_) {
    message = '';
  }
  if (!message) message = text && text.length < 500 ? text.trim() : '';
  if (!message) message = `The console answered ${status} ${statusText || ''}`.trim();
  return new ApiError(message, status);
}
