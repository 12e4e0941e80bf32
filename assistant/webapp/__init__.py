"""The Gradio web app: a thin layer of plain handler functions over the assistant."""
