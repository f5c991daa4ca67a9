// A worker that sets a timer inside a request and answers after it fires: proves the runner serves real requests.
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    await new Promise((r) => setTimeout(r, 5));
    return new Response(
      JSON.stringify({
        path: url.pathname,
        userAgent: (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent,
      }),
      {
        headers: { 'content-type': 'application/json' },
      },
    );
  },
};
