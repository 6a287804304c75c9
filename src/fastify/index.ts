// The Fastify adapter lands with the HTTP issue; the subpath exists so imports resolve.
export {};
