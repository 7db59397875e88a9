"""Server-rendered pages, one module per area. Views parse input and call one domain
function or selector; presenters shape what the templates show."""
