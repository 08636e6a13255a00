"""Read models for the console, the supervision dashboard, the designer and metrics."""
