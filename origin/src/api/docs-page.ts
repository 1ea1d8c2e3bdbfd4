// A self-contained docs page for /openapi.json: no CDN scripts (origins often run without internet
// access), just the document rendered as a readable list of operations with their schemas.
export function docsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vought API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{margin-bottom:.2rem} .op{border:1px solid #d0d7de;border-radius:6px;margin:.8rem 0;padding:.6rem .9rem}
.m{display:inline-block;min-width:4.5rem;font-weight:700;font-family:ui-monospace,monospace}
.get{color:#0969da}.post{color:#1a7f37}.patch{color:#9a6700}.delete{color:#cf222e}.put{color:#8250df}
code,pre{font-family:ui-monospace,monospace;font-size:13px} pre{background:#f6f8fa;padding:.6rem;overflow:auto;border-radius:6px}
details summary{cursor:pointer;color:#57606a}
</style></head><body>
<h1>vought API</h1><p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<div id="ops">loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const el=document.getElementById('ops'); el.textContent='';
  const p=document.createElement('p'); p.textContent=doc.info.description||''; el.appendChild(p);
  for(const [path,item] of Object.entries(doc.paths)){
    for(const [method,op] of Object.entries(item)){
      const d=document.createElement('div'); d.className='op';
      const h=document.createElement('div');
      const m=document.createElement('span'); m.className='m '+method; m.textContent=method.toUpperCase();
      const c=document.createElement('code'); c.textContent=path;
      h.append(m,c); d.appendChild(h);
      if(op.summary){const s=document.createElement('div'); s.textContent=op.summary; d.appendChild(s);}
      if(op.description){const s=document.createElement('div'); s.style.color='#57606a'; s.textContent=op.description; d.appendChild(s);}
      const det=document.createElement('details'); const sum=document.createElement('summary'); sum.textContent='parameters, body and responses';
      const pre=document.createElement('pre'); pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
      det.append(sum,pre); d.appendChild(det); el.appendChild(d);
    }
  }
}).catch(e=>{document.getElementById('ops').textContent='could not load /openapi.json: '+e});
</script></body></html>`;
}
