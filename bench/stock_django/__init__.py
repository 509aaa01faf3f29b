"""A stock Django 5.2 project (what `django-admin startproject` makes, default middleware only) with one
endpoint that inserts the raw JSON body: the ceiling bench/submit_burst.py measures the project against."""
