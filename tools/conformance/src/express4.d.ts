// Express 4, installed beside Express 5 under the alias `express4`; its API is the subset of Express 5's the app uses.
declare module 'express4' {
  import express from 'express';
  export default express;
}
