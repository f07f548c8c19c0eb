using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Playground.Web.Accounts.Migrations
{
    /// <inheritdoc />
    public partial class PushedSpec : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "PushedAt",
                table: "Classes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PushedSpec",
                table: "Classes",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PushedAt",
                table: "Classes");

            migrationBuilder.DropColumn(
                name: "PushedSpec",
                table: "Classes");
        }
    }
}
