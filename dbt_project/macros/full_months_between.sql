{% macro full_months_between(start_date, end_date) -%}
    {#- Whole calendar months from start_date to end_date: 3 Jan to 2 Apr is 2. -#}
    (
        datediff('month', {{ start_date }}, {{ end_date }})
        - case when day({{ end_date }}) < day({{ start_date }}) then 1 else 0 end
    )
{%- endmacro %}
